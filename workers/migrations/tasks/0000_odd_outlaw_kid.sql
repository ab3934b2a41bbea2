CREATE TABLE `assignments` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`item_id` text NOT NULL,
	`annotator` text NOT NULL,
	`is_gold` integer DEFAULT 0 NOT NULL,
	`state` text NOT NULL,
	`leased_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`ended_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `assignments_item_annotator` ON `assignments` (`item_id`,`annotator`) WHERE state IN ('leased', 'submitted', 'skipped');--> statement-breakpoint
CREATE INDEX `assignments_item_state` ON `assignments` (`item_id`,`state`,`expires_at`);--> statement-breakpoint
CREATE INDEX `assignments_annotator` ON `assignments` (`project_id`,`annotator`,`state`);--> statement-breakpoint
CREATE TABLE `dataset_exports` (
	`id` text PRIMARY KEY NOT NULL,
	`dataset_id` text NOT NULL,
	`version` integer NOT NULL,
	`labels_key` text NOT NULL,
	`labels_sha256` text NOT NULL,
	`labels_count` integer NOT NULL,
	`weights_key` text NOT NULL,
	`merkle_root` text NOT NULL,
	`total_weight` text NOT NULL,
	`accounts` integer NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `dataset_exports_version` ON `dataset_exports` (`dataset_id`,`version`);--> statement-breakpoint
CREATE TABLE `items` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`seq` integer NOT NULL,
	`external_id` text,
	`text` text,
	`object_key` text,
	`content_type` text,
	`is_gold` integer DEFAULT 0 NOT NULL,
	`gold_value` text,
	`status` text DEFAULT 'open' NOT NULL,
	`submitted_count` integer DEFAULT 0 NOT NULL,
	`final_value` text,
	`decided_by` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `items_claim_order` ON `items` (`project_id`,`is_gold`,`status`,`submitted_count`,`seq`);--> statement-breakpoint
CREATE UNIQUE INDEX `items_project_seq` ON `items` (`project_id`,`seq`);--> statement-breakpoint
CREATE TABLE `labels` (
	`id` text PRIMARY KEY NOT NULL,
	`assignment_id` text NOT NULL,
	`project_id` text NOT NULL,
	`item_id` text NOT NULL,
	`annotator` text NOT NULL,
	`idempotency_key` text NOT NULL,
	`value` text NOT NULL,
	`status` text NOT NULL,
	`gold_correct` integer,
	`decided_by` text,
	`reviewer` text,
	`submitted_at` integer NOT NULL,
	`decided_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `labels_assignment` ON `labels` (`assignment_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `labels_idempotency` ON `labels` (`annotator`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `labels_item` ON `labels` (`item_id`);--> statement-breakpoint
CREATE INDEX `labels_project_annotator` ON `labels` (`project_id`,`annotator`,`status`);--> statement-breakpoint
CREATE TABLE `project_reviewers` (
	`project_id` text NOT NULL,
	`reviewer` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `project_reviewers_pk` ON `project_reviewers` (`project_id`,`reviewer`);--> statement-breakpoint
CREATE TABLE `projects` (
	`id` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`dataset_id` text NOT NULL,
	`name` text NOT NULL,
	`instructions` text NOT NULL,
	`label_schema` text NOT NULL,
	`overlap` integer NOT NULL,
	`gold_ratio_bps` integer NOT NULL,
	`lease_ttl_seconds` integer NOT NULL,
	`reward_weight` integer NOT NULL,
	`qualification_gold` integer DEFAULT 0 NOT NULL,
	`qualification_min_bps` integer DEFAULT 0 NOT NULL,
	`agreement_bps` integer NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT "projects_overlap" CHECK("projects"."overlap" BETWEEN 1 AND 9)
);
--> statement-breakpoint
CREATE INDEX `projects_dataset` ON `projects` (`dataset_id`);--> statement-breakpoint
CREATE INDEX `projects_owner` ON `projects` (`owner`);--> statement-breakpoint
CREATE TABLE `siwe_nonces` (
	`nonce` text PRIMARY KEY NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer
);
