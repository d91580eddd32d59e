import { BackgroundOperationState, BackgroundOperationStatus } from '../../../shared/option-sets.js';
import { BackgroundOperationCreate, BackgroundOperationUpdate, backgroundoperationEntity } from '../../../shared/records/index.js';
import { isReservedOperationName } from '../../store/operation-names.js';
import type { OperationRecord } from '../../store/store.js';
import { badRequest, conflict } from '../api-error.js';
import type { EntityPolicy, Row } from './entity-policy.js';

const St = BackgroundOperationState.v;
const S = BackgroundOperationStatus.v;

/**
 * A PATCH of `backgroundoperationstatuscode` asks for one thing, 22 Canceling: an operation that has not started ends
 * Canceled at once (its runner finds it completed and skips it); one that has started runs to completion (409); one
 * already Canceled stays so. Any other status is the runner's to set (400).
 */
function cancelRequest(current: OperationRecord, patch: Row, now: Date, what: string): Row {
  const status = patch['backgroundoperationstatuscode'];
  if (status === undefined) return patch;
  if (status !== S.Canceling) {
    throw badRequest(`${what}: backgroundoperationstatuscode may only be set to ${S.Canceling} (Canceling), which cancels the operation`, 'InvalidStateTransition');
  }
  const id = current.backgroundoperationid;
  if (current.backgroundoperationstatecode === St.Completed) {
    if (current.backgroundoperationstatuscode === S.Canceled) return { ...patch, backgroundoperationstatuscode: S.Canceled };
    throw conflict(`backgroundoperation ${id} has already completed; it cannot be canceled`, 'OperationCompleted');
  }
  if (current.backgroundoperationstatecode === St.Locked) throw conflict(`backgroundoperation ${id} has already started; it runs to completion`, 'OperationStarted');
  return { ...patch, backgroundoperationstatecode: St.Completed, backgroundoperationstatuscode: S.Canceled, endtime: now.toISOString() };
}

/** Background operations (seed 002: POST GET PATCH DELETE); flowhost runs only its own (bulk actions, callback retries). */
export const operationPolicy: EntityPolicy<OperationRecord> = {
  entity: backgroundoperationEntity,
  createSchema: BackgroundOperationCreate,
  updateSchema: BackgroundOperationUpdate,
  deletable: true,
  prepareCreate(_deps, values, what) {
    if (typeof values['name'] === 'string' && isReservedOperationName(values['name'])) {
      throw badRequest(`${what}: name '${values['name'].slice(0, 100)}' begins as the names of flowhost's own operations do`, 'ReservedName');
    }
    return { retrycount: 0, priority: 0, ...values, backgroundoperationstatecode: St.Ready, backgroundoperationstatuscode: S.WaitingForResources };
  },
  prepareUpdate: (deps, current, patch, what) => cancelRequest(current, patch, deps.now(), what),
  checkDelete(_deps, current) {
    if (current.backgroundoperationstatecode === St.Locked) {
      throw conflict(`backgroundoperation ${current.backgroundoperationid} is running; it can be deleted once it has completed`, 'OperationStarted');
    }
  },
};
