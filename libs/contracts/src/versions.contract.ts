/**
 * Queries about repository versions and their content, answered by the content service. (Filled in with the
 * content operations.)
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface VersionQueryMap {}
