/**
 * The errors the sandbox's APIs answer with. Codes and HTTP statuses follow the AWS API models: the wire code
 * is what the SDKs map to their exception classes (e.g. `DBInstanceNotFound` becomes
 * `DBInstanceNotFoundFault` in the JS SDK), so a code here must never be "improved".
 */

export const FAULTS = {
  // Common Query-protocol errors.
  MissingAction: 400,
  InvalidAction: 400,
  MissingParameter: 400,
  InvalidParameterValue: 400,
  InvalidParameterCombination: 400,
  InvalidQueryParameter: 400,
  MalformedQueryString: 400,
  InternalFailure: 500,
  ServiceUnavailable: 503,
  // The sandbox API's own refusals of requests a browser could send (api/request-guard.ts).
  AccessDenied: 403,
  MethodNotAllowed: 405,
  // Only injected (fault-injection.ts); the SDKs classify this code as throttling.
  Throttling: 400,
  // RDS.
  DBClusterNotFoundFault: 404,
  DBClusterAlreadyExistsFault: 400,
  InvalidDBClusterStateFault: 400,
  DBInstanceNotFound: 404,
  DBInstanceAlreadyExists: 400,
  InvalidDBInstanceState: 400,
  DBClusterBacktrackNotFoundFault: 404,
  DBClusterQuotaExceededFault: 403,
  // CloudFormation.
  ValidationError: 400,
} as const satisfies Record<string, number>;

export type FaultCode = keyof typeof FAULTS;

/** A refusal the API reports to its caller as an `<ErrorResponse>`. */
export class ApiFault extends Error {
  readonly code: FaultCode;
  readonly httpStatus: number;

  constructor(code: FaultCode, message: string) {
    super(message);
    this.name = 'ApiFault';
    this.code = code;
    this.httpStatus = FAULTS[code];
  }
}

export function fault(code: FaultCode, message: string): ApiFault {
  return new ApiFault(code, message);
}
