export { SqliteContentIndex, type SqliteContentIndexOptions } from './sqlite-content-index.adapter.js';
