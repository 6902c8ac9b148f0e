/** Where the query API lives (docs/design.md, Query API); its OpenAPI document and page too. */
export const API_PREFIX = 'api/v1/bridge/sync';
