/**
 * Fields renamed after databases were made with their old names (to the seeds' names): each store renames the column
 * once, at start, before it adds the columns of new fields, so stored values keep their field. A database made with
 * the new names has nothing to rename. Append only; never edit an entry a release shipped.
 */
export interface ColumnRename {
  readonly set: string;
  readonly from: string;
  readonly to: string;
}

export const COLUMN_RENAMES: readonly ColumnRename[] = [
  { set: 'backgroundoperations', from: 'statecode', to: 'backgroundoperationstatecode' },
  { set: 'backgroundoperations', from: 'statuscode', to: 'backgroundoperationstatuscode' },
];
