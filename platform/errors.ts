/**
 * One shape for the errors a request can meet: a code, a message, and the HTTP status the code answers with,
 * all in one table. A room throws `ServiceError` (or its room's subclass, which narrows the codes); the API
 * answers `{ code, params, error }` with the table's status. The stations show a Russian text per code, filled
 * in from the params (web/app/texts.ts); `error` is the English message for logs and API callers.
 */
export const ERROR_STATUS = {
  // Nothing there by that name.
  'no-such-task': 404,
  'no-such-check': 404,
  'no-such-sheet': 404,
  'no-such-appeal': 404,
  'no-such-work': 404,
  // There, but not the caller's.
  'not-yours': 403,
  'not-allowed': 403,
  // The request, read right, asks for something that cannot be.
  'bad-value': 422,
  'bad-scores': 422,
  'not-printable': 422,
  'not-this-sheet': 422,
  'unknown-exam': 422,
  // A GVE exam without its grade (9 or 11), or an EGE or OGE exam with one.
  'exam-grade': 422,
  'refused-batch': 400,
  'no-rules': 409,
  conflict: 409,
  // checking: a page of a work, a protocol out with an expert.
  'no-such-page': 404,
  'no-such-protocol': 404,
  // Intake, works, retention and administration.
  'no-such-user': 404,
  'no-such-exam': 404,
  'no-such-rules': 404,
  'no-such-batch': 404,
  'no-such-image': 404,
  'no-such-hold': 404,
  'no-such-act': 404,
  'no-such-object': 404,
  'bad-request': 400,
  // A training set: asked for once the originals may be gone, more works than are checked, a page unfit.
  'training-set-too-late': 422,
  'training-set-too-few': 422,
  'training-page-unfit': 422,
  'too-large': 413,
  'wrong-media-type': 415,
  // Answered outside the rooms: no key or a stale one, a role without this route, no route at all, a
  // service away for the moment, a fault of ours.
  'not-signed-in': 401,
  'role-not-allowed': 403,
  'not-found': 404,
  unavailable: 503,
  internal: 500,
  // Results out: a layout by name; a value the layout's encoding cannot hold.
  'no-such-layout': 404,
  unencodable: 422,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class ServiceError<C extends ErrorCode = ErrorCode> extends Error {
  constructor(
    readonly code: C,
    message: string,
    /** What the stations' text for the code names (an exam, a sheet): never participant data. */
    readonly params: Record<string, string | number> = {},
  ) {
    super(message);
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}
