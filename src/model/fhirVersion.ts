/**
 * The FHIR versions the service reads (R4 is the model; STU3 and DSTU2 leftovers are read where the meaning is
 * clear, docs/clinical-rules.md §7) and writes its suggested resources in.
 */
export type FhirVersion = 'R4' | 'STU3' | 'DSTU2';

/** A version older than R4, whose searches a server that does not know R4's types is asked instead. */
export type OlderFhirVersion = Exclude<FhirVersion, 'R4'>;
