import { getSearchParameters } from '@medplum/core';
import type { CapabilityStatement, ResourceType } from '@medplum/fhirtypes';

/** What `GET /metadata` answers: an R4 (4.0.1) server for every concrete resource type, JSON only. */
export function buildCapabilityStatement(baseUrl: string, resourceTypes: readonly string[]): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    software: { name: 'nkr-pain-cds test FHIR server (Medplum fhir-router 4.5.2, in memory)' },
    implementation: { description: 'In-memory FHIR R4 server for integration tests and the demo', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        interaction: [{ code: 'transaction' }, { code: 'batch' }],
        resource: resourceTypes.map((type) => ({
          type: type as ResourceType,
          interaction: (['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'create', 'search-type'] as const).map(
            (code) => ({ code }),
          ),
          versioning: 'versioned',
          updateCreate: true,
          searchInclude: ['*'],
          searchRevInclude: ['*'],
          searchParam: Object.values(getSearchParameters(type) ?? {})
            .filter((p) => p.type !== 'composite' && p.type !== 'quantity' && p.type !== 'number' && p.type !== 'special')
            .map((p) => ({ name: p.code as string, type: p.type, ...(p.url ? { definition: p.url } : {}) })),
        })),
      },
    ],
  };
}
