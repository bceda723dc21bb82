import { ServiceError } from '../platform/errors.ts';

/** What an expert's or a chair's request can meet. */
export class CheckingError extends ServiceError<
  | 'no-such-check'
  | 'no-such-page'
  | 'no-such-appeal'
  | 'no-such-protocol'
  | 'not-yours'
  | 'not-allowed'
  | 'bad-value'
  | 'bad-scores'
  | 'no-rules'
  | 'conflict'
  | 'not-printable'
> {}
