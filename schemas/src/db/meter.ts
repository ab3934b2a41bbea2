// D1 tables of a regional meter database (binding METER_DB): one usage record per gateway request.
export {};
