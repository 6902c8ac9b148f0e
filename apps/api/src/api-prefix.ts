/** Where the query API lives (SPEC §7); its OpenAPI document and page are under it too. */
export const API_PREFIX = 'api/v1/bridge/sync';
