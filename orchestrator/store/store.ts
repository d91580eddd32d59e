/** The store's public surface: the interface, its records and errors, and `openStore` (SQLite file or PostgreSQL URL). */
export type * from './repositories.js';
export type { OrderItem, RecordQuery, StoredRecord } from './record-query.js';
export { StoreError, type ChangeListener, type Store, type StoreNotifications } from './store-types.js';
export { openStore, storeName, storePasswordGiven, StoreLocationError } from './open-store.js';
