import { getHeapStatistics } from 'node:v8';

/** What the admission check reads of V8's heap statistics. */
export interface HeapUse {
  used_heap_size: number;
  heap_size_limit: number;
}

export type HeapUseReader = () => HeapUse;

/**
 * How much heap a parsed JSON body may take per byte of its text: ~22 for a body of empty objects (`{},` is
 * 3 bytes of text and ~60 of heap), 2–4 for FHIR resources. The worst case is what an attacker sends.
 */
export const HEAP_PER_BODY_BYTE = 22;

/** The share of the heap's limit the bodies in flight may bring it to. */
const HEAP_SHARE = 0.75;

/**
 * Whether the heap has room to parse a JSON body of `bytes` and hold it while its call runs (a patient-view
 * holds its body while it waits for its FHIR reads, up to FHIR_REQUEST_DEADLINE_MS). Without this check
 * nothing bounded the bodies in flight: thirty 5 MB bodies of empty objects, waiting on a slow FHIR server,
 * passed the 1 GB heap limit and the process died with every call in it. Checked once the body has arrived,
 * before it is parsed; parsing is synchronous, so each check sees the bodies admitted before it.
 */
export function heapAdmits(bytes: number, heap: HeapUse): boolean {
  return heap.used_heap_size + bytes * HEAP_PER_BODY_BYTE <= heap.heap_size_limit * HEAP_SHARE;
}

export const v8HeapUse: HeapUseReader = getHeapStatistics;
