import { ConditionStatuses, type ConditionStatusWords } from '../model/conditionStatus.js';
import { readValidatedJson } from './dataFile.js';

/** The Condition status rules with the words of terminology/condition-status-words.json (docs/clinical-rules.md §2, §7). */
export function loadConditionStatuses(): ConditionStatuses {
  return new ConditionStatuses(readValidatedJson<ConditionStatusWords>('condition-status-words.json', 'condition-status-words'));
}
