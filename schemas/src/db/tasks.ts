// D1 tables of the tasks database (binding TASKS_DB): annotation projects, items, leases, labels.
export {};
