CREATE TABLE `usage_daily` (
	`payer` text NOT NULL,
	`day` text NOT NULL,
	`model` text NOT NULL,
	`token` text NOT NULL,
	`requests` integer NOT NULL,
	`input_tokens` integer NOT NULL,
	`output_tokens` integer NOT NULL,
	`cost` integer NOT NULL,
	`estimated` integer NOT NULL,
	PRIMARY KEY(`payer`, `day`, `model`, `token`),
	CONSTRAINT "usage_daily_cost_integer" CHECK(typeof("usage_daily"."cost") = 'integer')
);
