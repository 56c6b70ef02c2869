CREATE TABLE "stock_holds" (
	"id" uuid PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"status" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"extensions" integer DEFAULT 0 NOT NULL,
	"max_expires_at" timestamp with time zone NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"converted_order_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stock_holds_status_check" CHECK ("stock_holds"."status" IN ('active', 'released', 'expired', 'converted')),
	CONSTRAINT "stock_holds_extensions_check" CHECK ("stock_holds"."extensions" >= 0),
	CONSTRAINT "stock_holds_expiry_check" CHECK ("stock_holds"."expires_at" <= "stock_holds"."max_expires_at"),
	CONSTRAINT "stock_holds_converted_check" CHECK (("stock_holds"."status" = 'converted') = ("stock_holds"."converted_order_id" IS NOT NULL))
);
--> statement-breakpoint
ALTER TABLE "stock_reservations" ALTER COLUMN "order_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "inventory_movements" ADD COLUMN "hold_id" uuid;--> statement-breakpoint
ALTER TABLE "stock_reservations" ADD COLUMN "hold_id" uuid;--> statement-breakpoint
ALTER TABLE "stock_holds" ADD CONSTRAINT "stock_holds_converted_order_id_orders_id_fk" FOREIGN KEY ("converted_order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "stock_holds_customer_created_idx" ON "stock_holds" USING btree ("customer_id","created_at" DESC NULLS LAST);--> statement-breakpoint
ALTER TABLE "stock_reservations" ADD CONSTRAINT "stock_reservations_hold_id_stock_holds_id_fk" FOREIGN KEY ("hold_id") REFERENCES "public"."stock_holds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stock_reservations" ADD CONSTRAINT "stock_reservations_hold_line_key" UNIQUE("hold_id","product_id","warehouse_id");--> statement-breakpoint
ALTER TABLE "stock_reservations" ADD CONSTRAINT "stock_reservations_owner_check" CHECK ("stock_reservations"."order_id" IS NOT NULL OR "stock_reservations"."hold_id" IS NOT NULL);