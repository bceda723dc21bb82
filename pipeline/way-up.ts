/**
 * Which quarter turn is up on a page registered by four alike corner marks (`corner-marks`) or two alike
 * timing tracks (`timing-tracks`): they fit it more than one way, so its bubble blocks decide. Used by
 * recognition and by the calibration that replays it.
 */
import type { BubblesInstance, ExpandedForm } from '../forms/definitions.ts';
import { cornerPoints, type FormDefinition } from '../forms/schema.ts';
import { type AlignedBlocks, alignBubbleBlocks, blocksOf } from './bubble-align.ts';
import { axesAt, fitAffine, multiply3, type Point } from './geometry.ts';
import type { GreyImage } from './image.ts';
import type { Registration } from './register.ts';

/** How much plainer the taken way up's bubble blocks must stand out than the next way's. */
const WAY_UP_MARGIN = 1.5;
/** How much plainer a sample of the blocks must stand out one way than any other for the rest to be skipped. */
const WAY_UP_CLEAR = 1.75;
/** A way up that stretches the page more than this along one axis than the other is not looked at. */
const WAY_UP_STRETCH = 1.5;

/**
 * Four alike corner marks fit a page turned a quarter, a half or three quarters as well as upright (two
 * alike tracks, upright or upside down): its bubble blocks decide, standing out against the paper around
 * them where the layout lies on its print. Each turn maps the page's four points one step round onto those
 * found (a turn that would stretch the page out of its proportions is not looked at); the way whose blocks
 * stand out as found blocks do and half as much again as the next way's is read, through its transform (the
 * orientation is part of it, as for anchors). A sample of the blocks is weighed first, so that the wrong
 * ways' other blocks need not be aligned when the sample already tells them apart. When no way stands out,
 * which way is up is not guessed.
 */
export function wayUp(
  img: GreyImage,
  form: ExpandedForm,
  reg: Registration,
  paper: number,
): { reg: Registration; aligned: AlignedBlocks } | WayUpFailure {
  const def = form.definition;
  // Clockwise round the page, as registration put each point in its own quarter of the image.
  const points: Point[] | null = cornerPoints(def);
  if (!points)
    return {
      reason: 'orientation-unknown',
      detail: 'the form has no registration point in each quarter of the page',
    };
  const bubbles = form.fields.filter((f) => f.kind === 'bubbles');
  // Tracks are found running along the page's sides, so it lies as registration found it or turned half
  // round; four alike marks may lie any quarter turn round.
  const turns = def.registration === 'timing-tracks' ? ([0, 2] as const) : ([0, 1, 2, 3] as const);
  const candidates = turns.flatMap((k) => {
    // The point seen in quarter j is the page's point j - k: page → page map, then the upright fit.
    const turn = fitAffine(
      points.map((_, j) => points[(j + 4 - k) % 4]!),
      points,
    );
    if (!turn) return [];
    const t = multiply3(reg.transform, turn);
    // Measured at the page's centre: a photo's keystone scales the page unevenly, so the matrix's own
    // columns are not its stretch.
    const { across, down } = axesAt(t, def.page.width / 2, def.page.height / 2);
    const stretch = Math.hypot(across[0], across[1]) / Math.hypot(down[0], down[1]);
    if (Math.max(stretch, 1 / stretch) > WAY_UP_STRETCH) return [];
    // Turned from the way registration found the page (a quarter, for tracks found across the image).
    return [{ orientation: ((reg.orientation + k * 90) % 360) as Registration['orientation'], t }];
  });
  const least = def.bubbleAlign?.minContrast ?? 0;
  const weigh = (fields: BubblesInstance[]) =>
    candidates.map((c) => {
      const aligned = alignBubbleBlocks(img, c.t, def, fields, paper);
      return { ...c, aligned, standing: standingOf(aligned) };
    });
  // A first look at every third block: where one way stands out well beyond the rest there, only it is
  // aligned whole (the wrong ways' other blocks are most of this stage's time), and it must stand out as
  // much on all its blocks; else every way is aligned whole.
  const probe = sampleBlocks(bubbles);
  if (candidates.length > 1 && probe.length < bubbles.length) {
    const [first, second] = weigh(probe).sort((a, b) => b.standing - a.standing);
    const against = second?.standing ?? 0;
    if (first && first.standing >= Math.max(least, against * WAY_UP_CLEAR)) {
      const aligned = alignBubbleBlocks(img, first.t, def, bubbles, paper);
      if (standingOf(aligned) >= Math.max(least, against * WAY_UP_MARGIN))
        return taken(def, reg, { ...first, aligned });
    }
  }
  const ways = weigh(bubbles);
  ways.sort((a, b) => b.standing - a.standing);
  const [best, next] = ways;
  // The way taken must stand out as a found block does (`minContrast`), not merely above the paper's noise.
  if (!best || best.standing < Math.max(least, (next?.standing ?? 0) * WAY_UP_MARGIN)) {
    const standing = ways.map((w) => `${w.standing.toFixed(3)} turned ${w.orientation}°`).join(', ');
    return {
      reason: 'orientation-unknown',
      detail: `its bubble blocks stand out ${standing}: ${marksOf(def)} do not say which way is up`,
    };
  }
  return taken(def, reg, best);
}

/** The way read, once the perspective map's blocks are checked. */
function taken(
  def: FormDefinition,
  reg: Registration,
  way: { t: Registration['transform']; orientation: Registration['orientation']; aligned: AlignedBlocks },
): { reg: Registration; aligned: AlignedBlocks } | WayUpFailure {
  // The perspective map through four points (a photo's keystone) has none left over to check it: a wrong
  // mark (a speck nearer the image's corner) or a track's lost end dash fits as exactly as a right one. The
  // blocks check it: where the map is right every block lies within its window, where a point is wrong those
  // near it lie beyond.
  const beyond = way.aligned.fits.filter((f) => f.atEdge);
  if ((reg.model === 'homography' || reg.model === 'timing-tracks') && beyond.length > 0) {
    return {
      reason: 'registration-residual',
      detail:
        `the perspective map through ${marksOf(def)} leaves ${beyond.length} bubble ` +
        `block(s) at the edge of their windows (${beyond.map((f) => f.block).join(', ')}): a point found ` +
        `may not be the form's`,
    };
  }
  return { reg: { ...reg, transform: way.t, orientation: way.orientation }, aligned: way.aligned };
}

/** How far a way's blocks stand out on average (a block not found counts nothing). */
const standingOf = (aligned: AlignedBlocks) =>
  aligned.fits.reduce((sum, f) => sum + Math.max(0, f.contrast), 0) / Math.max(1, aligned.fits.length);

/** The bubble fields of every third block, the first included: a sample spread over the page's layout. */
function sampleBlocks(fields: BubblesInstance[]): BubblesInstance[] {
  return [...blocksOf(fields).values()].filter((_, i) => i % 3 === 0).flat();
}

const marksOf = (def: FormDefinition) =>
  def.registration === 'timing-tracks' ? 'two alike timing tracks' : 'four alike corner marks';

/** Whether a form's registration leaves which way is up to its bubble blocks. */
export const turnsByBlocks = (def: FormDefinition) =>
  def.registration === 'corner-marks' || def.registration === 'timing-tracks';

export interface WayUpFailure {
  reason: 'orientation-unknown' | 'registration-residual';
  detail: string;
}
