-- Custom migration (drizzle-kit generate --custom). escrow_balances.held = the pair's unsettled hold amounts, kept in the
-- same statement as every change of a hold. The UPDATE backfills rows (and holds) created before this migration;
-- rows inserted later compute `held` in their INSERT (gateway/catalog.ts escrowStatement).
UPDATE `escrow_balances` SET `held` = (
  SELECT coalesce(sum(h.amount), 0) FROM `spend_holds` h
  WHERE h.payer = `escrow_balances`.payer AND h.token = `escrow_balances`.token AND h.settled_at IS NULL
);
--> statement-breakpoint
CREATE TRIGGER `spend_holds_held_insert` AFTER INSERT ON `spend_holds` WHEN NEW.settled_at IS NULL
BEGIN
  UPDATE `escrow_balances` SET `held` = `held` + NEW.amount WHERE payer = NEW.payer AND token = NEW.token;
END;
--> statement-breakpoint
CREATE TRIGGER `spend_holds_held_update` AFTER UPDATE OF amount, settled_at ON `spend_holds`
BEGIN
  UPDATE `escrow_balances`
  SET `held` = `held` - (CASE WHEN OLD.settled_at IS NULL THEN OLD.amount ELSE 0 END)
    + (CASE WHEN NEW.settled_at IS NULL THEN NEW.amount ELSE 0 END)
  WHERE payer = NEW.payer AND token = NEW.token;
END;
--> statement-breakpoint
CREATE TRIGGER `spend_holds_held_delete` AFTER DELETE ON `spend_holds` WHEN OLD.settled_at IS NULL
BEGIN
  UPDATE `escrow_balances` SET `held` = `held` - OLD.amount WHERE payer = OLD.payer AND token = OLD.token;
END;
