-- The variant and product each order line was bought as, in the shape an order's answer
-- shows them (`items[].variant`, `items[].product`), with the variant's options.
--
-- Two statements read it: the order's read (`orders::retrieve`) and the statement that
-- writes an order at completion, which answers the order it wrote (the rows it inserted
-- and updated, and these) so that completing a cart needs no read of the order after its
-- commit. PostgreSQL inlines the view into each statement.
CREATE VIEW order_line_variants AS
SELECT v.id AS variant_id, v.title, v.sku, v.barcode, v.ean, v.upc, v.allow_backorder,
       v.manage_inventory, v.variant_rank, v.thumbnail, v.metadata, v.created_at, v.updated_at,
       coalesce((SELECT json_agg(json_build_object('id', ov.id, 'value', ov.value,
                                                   'option_id', ov.option_id,
                                                   'option', json_build_object('id', o.id, 'title', o.title))
                                 ORDER BY o.created_at, o.id)
                   FROM product_variant_option_values l
                   JOIN product_option_values ov ON ov.id = l.option_value_id
                   JOIN product_options o ON o.id = ov.option_id
                  WHERE l.variant_id = v.id), '[]') AS options,
       p.id AS product_id, p.title AS product_title, p.subtitle AS product_subtitle,
       p.description AS product_description, p.handle AS product_handle,
       p.thumbnail AS product_thumbnail, p.is_giftcard AS product_is_giftcard,
       p.discountable AS product_discountable, p.collection_id AS product_collection_id,
       p.type_id AS product_type_id, p.metadata AS product_metadata,
       p.created_at AS product_created_at, p.updated_at AS product_updated_at
  FROM product_variants v JOIN products p ON p.id = v.product_id;
