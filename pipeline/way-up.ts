/**
 * Which quarter turn is up on a page registered by four alike corner marks (`corner-marks`): the marks fit it
 * every way, so its bubble blocks decide. Used by recognition and by the calibration that replays it.
 */
import type { ExpandedForm } from '../forms/definitions.ts';
import { anchorCentre, anchorQuarter } from '../forms/schema.ts';
import { type AlignedBlocks, alignBubbleBlocks } from './bubble-align.ts';
import { fitAffine, multiply3, type Point } from './geometry.ts';
import type { GreyImage } from './image.ts';
import type { Registration } from './register.ts';

/** How much plainer the taken way up's bubble blocks must stand out than the next way's. */
const WAY_UP_MARGIN = 1.5;
/** A way up that stretches the page more than this along one axis than the other is not looked at. */
const WAY_UP_STRETCH = 1.5;

/**
 * Four alike corner marks fit a page turned a quarter, a half or three quarters as well as upright: its
 * bubble blocks decide, standing out against the paper around them where the layout lies on its print. Each
 * turn maps the page's corner anchors one step round onto the marks found (a turn that would stretch the page
 * out of its proportions is not looked at); the way whose blocks stand out as found blocks do and half as
 * much again as the next way's is read, through its transform (the orientation is part of it, as for
 * anchors). When none does, which way is up is not guessed.
 */
export function wayUp(
  img: GreyImage,
  form: ExpandedForm,
  reg: Registration,
  paper: number,
): { reg: Registration; aligned: AlignedBlocks } | WayUpFailure {
  const def = form.definition;
  // Clockwise round the page, as `matchCornerMarks` put each anchor in its own quarter of the image.
  const clockwise = (['tl', 'tr', 'br', 'bl'] as const).map((q) =>
    def.anchors.find((a) => anchorQuarter(def, a) === q),
  );
  const centres = clockwise.map((a) => (a ? anchorCentre(a) : null));
  if (centres.some((c) => c === null))
    return {
      reason: 'orientation-unknown',
      detail: 'the form has no corner anchor in each quarter of the page',
    };
  const points = centres as Point[];
  const bubbles = form.fields.filter((f) => f.kind === 'bubbles');
  const ways = ([0, 1, 2, 3] as const).flatMap((k) => {
    // The mark seen in quarter j is the page's anchor j - k: page → page map, then the upright fit.
    const turn = fitAffine(
      points.map((_, j) => points[(j + 4 - k) % 4]!),
      points,
    );
    if (!turn) return [];
    const t = multiply3(reg.transform, turn);
    const stretch = Math.hypot(t[0], t[3]) / Math.hypot(t[1], t[4]);
    if (Math.max(stretch, 1 / stretch) > WAY_UP_STRETCH) return [];
    const aligned = alignBubbleBlocks(img, t, def, bubbles, paper);
    const standing =
      aligned.fits.reduce((sum, f) => sum + Math.max(0, f.contrast), 0) / Math.max(1, aligned.fits.length);
    return [{ orientation: (k * 90) as Registration['orientation'], t, aligned, standing }];
  });
  ways.sort((a, b) => b.standing - a.standing);
  const [best, next] = ways;
  // The way taken must stand out as a found block does (`minContrast`), not merely above the paper's noise.
  const least = def.bubbleAlign?.minContrast ?? 0;
  if (!best || best.standing < Math.max(least, (next?.standing ?? 0) * WAY_UP_MARGIN)) {
    const standing = ways.map((w) => `${w.standing.toFixed(3)} turned ${w.orientation}°`).join(', ');
    return {
      reason: 'orientation-unknown',
      detail: `its bubble blocks stand out ${standing}: four alike corner marks do not say which way is up`,
    };
  }
  // The perspective map through four marks (a photo's keystone) has no point left over to check it: a wrong
  // mark (a speck nearer the image's corner) fits as exactly as a right one. The blocks check it: where the
  // map is right every block lies within its window, where a mark is wrong those near it lie beyond.
  const beyond = best.aligned.fits.filter((f) => f.atEdge);
  if (reg.model === 'homography' && beyond.length > 0) {
    return {
      reason: 'registration-residual',
      detail:
        `the perspective map through the four corner marks leaves ${beyond.length} bubble block(s) at ` +
        `the edge of their windows (${beyond.map((f) => f.block).join(', ')}): a mark found may not be the form's`,
    };
  }
  return { reg: { ...reg, transform: best.t, orientation: best.orientation }, aligned: best.aligned };
}

export interface WayUpFailure {
  reason: 'orientation-unknown' | 'registration-residual';
  detail: string;
}
