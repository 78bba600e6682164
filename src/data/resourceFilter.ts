/** Keeps the resources of one type from a resolved prefetch key (a misfiled resource is ignored). */
export function ofType<K extends fhir4.Resource['resourceType']>(
  resources: readonly fhir4.Resource[] | undefined,
  type: K,
): Array<Extract<fhir4.Resource, { resourceType: K }>> {
  return (resources ?? []).filter((r): r is Extract<fhir4.Resource, { resourceType: K }> => r?.resourceType === type);
}
