DROP INDEX `items_claim_order`;--> statement-breakpoint
CREATE INDEX `items_claim_order` ON `items` (`project_id`,`is_gold`,`status`,"submitted_count" DESC,`seq`);