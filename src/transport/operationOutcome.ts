/** FHIR R4 types come from @types/fhir's global `fhir4` namespace. */
type OperationOutcome = fhir4.OperationOutcome;
type OperationOutcomeIssue = fhir4.OperationOutcomeIssue;

/** FHIR issue types used by this service (http://hl7.org/fhir/issue-type). */
export type IssueCode =
  | 'invalid'
  | 'structure'
  | 'required'
  | 'value'
  | 'not-found'
  | 'not-supported'
  | 'security'
  | 'login'
  | 'forbidden'
  | 'too-long'
  | 'timeout'
  | 'transient'
  | 'incomplete'
  | 'exception';

/**
 * An error that maps to one HTTP status and a FHIR OperationOutcome body. Transport throws these (other
 * stages throw domain errors such as RequiredDataUnavailable, which the error handler maps);
 * the transport's error handler is the one place that turns them into responses.
 */
export class HttpError extends Error {
  readonly status: number;
  readonly issues: OperationOutcomeIssue[];
  /** 401 answers carry no body at all (CDS Hooks best practice: do not say why). */
  readonly emptyBody: boolean;

  constructor(
    status: number,
    code: IssueCode,
    diagnostics: string,
    options: { expression?: string[]; extraIssues?: OperationOutcomeIssue[]; emptyBody?: boolean } = {},
  ) {
    super(diagnostics);
    this.name = 'HttpError';
    this.status = status;
    const issue: OperationOutcomeIssue = { severity: 'error', code, diagnostics };
    if (options.expression && options.expression.length > 0) issue.expression = options.expression;
    this.issues = [issue, ...(options.extraIssues ?? [])];
    this.emptyBody = options.emptyBody ?? false;
  }

  toOperationOutcome(): OperationOutcome {
    return { resourceType: 'OperationOutcome', issue: this.issues };
  }
}

export const badRequest = (diagnostics: string, expression?: string[]): HttpError =>
  new HttpError(400, 'invalid', diagnostics, expression ? { expression } : {});

export const notFound = (diagnostics: string): HttpError => new HttpError(404, 'not-found', diagnostics);

export const unauthorized = (): HttpError => new HttpError(401, 'login', 'unauthorized', { emptyBody: true });

export const forbidden = (diagnostics: string): HttpError => new HttpError(403, 'forbidden', diagnostics);
