import { ServiceError } from '../platform/errors.ts';

/** What computing or reading results can meet. */
export class ResultsError extends ServiceError<
  | 'no-such-exam'
  | 'no-such-work'
  | 'no-rules'
  | 'bad-value'
  | 'no-such-layout'
  | 'unencodable'
  | 'not-allowed'
> {}
