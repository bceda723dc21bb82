/**
 * What the server says to people as a code and its parameters: the stations hold the Russian text of each
 * code (web/app/texts.ts) and fill it in; the English text beside it is for logs and API callers. Errors have
 * their codes in platform/errors.ts; these are the codes of answers that succeeded but have something to say.
 */
import * as z from 'zod';

export const MESSAGE_CODES = [
  // A batch that does not add up (intake): what the operator must look at before it is closed.
  'batch-pages-differ',
  'batch-pages-unidentified',
  'batch-kind-differs',
  'batch-sheet-rescanned',
  // Why an assembled work is incomplete (works).
  'work-sheet-not-received',
  'work-sheet-other-form',
  'work-sheet-not-verified',
  'work-link-not-verified',
  'work-chain-loops',
  'work-additional-not-received',
  'work-additional-not-verified',
  // Lines of a kit manifest that could not be taken (works).
  'kits-bad-header',
  'kits-bad-columns',
  'kits-bad-sheet-number',
  // Why a chair's hand-over of a check was refused (checking; a check not there is `no-such-check`).
  'already-scored',
  'may-not-take',
] as const;
export type MessageCode = (typeof MESSAGE_CODES)[number];

export const MessageParams = z.record(z.string(), z.union([z.string(), z.number()]));
export type MessageParams = z.infer<typeof MessageParams>;

export const Message = z.object({ code: z.enum(MESSAGE_CODES), params: MessageParams });
export type Message = z.infer<typeof Message>;
