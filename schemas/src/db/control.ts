// D1 tables of the control database (binding DB): API keys, models, routes, synced licenses and escrow.
export {};
