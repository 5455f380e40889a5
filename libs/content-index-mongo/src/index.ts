export { MongoContentIndex, type MongoContentIndexOptions } from './mongo-content-index.adapter.js';
