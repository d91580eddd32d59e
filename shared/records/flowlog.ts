import { type Static } from '@sinclair/typebox';
import { FlowLogLevel, LogType } from '../option-sets.js';
import { commonFields, field, Guid, Int, Text, recordSchema, type EntityDef } from './entity.js';

/** Largest `data` a flowlog row holds; longer log lines are split by the agent, never dropped. */
export const FLOWLOG_DATA_MAX = 100_000;

export const flowlogEntity = {
  name: 'flowlog',
  set: 'flowlogs',
  key: 'flowlogid',
  primaryName: 'name',
  fields: {
    flowlogid: field(Guid(), { edm: 'Edm.Guid' }),
    name: field(Text(400), { edm: 'Edm.String' }),
    _flowsessionid_value: field(Guid(), { edm: 'Edm.Guid', lookup: { nav: 'flowsessionid', target: 'flowsessions' } }),
    level: field(Int({ minimum: 100000000, maximum: 100000004 }), { edm: 'Edm.Int32', optionSet: FlowLogLevel }),
    type: field(Int({ minimum: 100000000, maximum: 100000007 }), { edm: 'Edm.Int32', optionSet: LogType }),
    data: field(Text(FLOWLOG_DATA_MAX), { edm: 'Edm.String' }),
    /** Per-session order of the row. */
    seq: field(Int({ minimum: 0 }), { edm: 'Edm.Int64' }),
    ...commonFields,
  },
} satisfies EntityDef;

export const FlowLog = recordSchema(flowlogEntity);
export type FlowLog = Static<typeof FlowLog>;
