-- The rows a checkout writes (carts, their lines and shipping methods, orders, their lines
-- and shipping methods, stock reservations) no longer carry foreign keys to the catalog
-- and configuration rows they name (regions, sales channels, products, variants, shipping
-- options, inventory items, stock locations).
--
-- Each such key made PostgreSQL lock the named row (FOR KEY SHARE) for every row written:
-- a checkout locked the region, the sales channel, the variant and its product twice each
-- (cart, then order), the shipping option twice, and so on. A share lock is written into
-- the locked row itself (WAL and a dirtied page), and two checkouts holding one at once
-- turn it into a MultiXact: about 3 per checkout at 32 connections on the bench database,
-- and every checkout wrote into the same region and channel rows. The keys guarded against
-- hard deletes of those rows, which the store never does: regions, products and variants
-- are soft-deleted (`deleted_at`), and a cart whose region is gone is answered as such.
-- Every write takes these ids from rows it has read, most in the same statement
-- (`INSERT ... SELECT` from the region, the shipping option, the locked stock level).
-- Orders are snapshots that outlive the catalog rows they came from (titles, SKUs and
-- prices are copied).
--
-- Keys between the checkout's own rows (a line's cart, an order's lines, a reservation's
-- line, a session's collection) and to customers stay. tests/tests/schema.rs keeps it so.
ALTER TABLE carts
    DROP CONSTRAINT IF EXISTS carts_region_id_fkey,
    DROP CONSTRAINT IF EXISTS carts_sales_channel_id_fkey;
ALTER TABLE cart_line_items
    DROP CONSTRAINT IF EXISTS cart_line_items_variant_id_fkey,
    DROP CONSTRAINT IF EXISTS cart_line_items_product_id_fkey;
ALTER TABLE cart_shipping_methods
    DROP CONSTRAINT IF EXISTS cart_shipping_methods_shipping_option_id_fkey;
ALTER TABLE orders
    DROP CONSTRAINT IF EXISTS orders_region_id_fkey,
    DROP CONSTRAINT IF EXISTS orders_sales_channel_id_fkey;
ALTER TABLE order_line_items
    DROP CONSTRAINT IF EXISTS order_line_items_product_id_fkey,
    DROP CONSTRAINT IF EXISTS order_line_items_variant_id_fkey;
ALTER TABLE order_shipping_methods
    DROP CONSTRAINT IF EXISTS order_shipping_methods_shipping_option_id_fkey;
ALTER TABLE reservations
    DROP CONSTRAINT IF EXISTS reservations_inventory_item_id_fkey,
    DROP CONSTRAINT IF EXISTS reservations_location_id_fkey;
