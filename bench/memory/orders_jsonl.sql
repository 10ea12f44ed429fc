-- The orders of a jobsd store as JSON Lines in the shape `jobsd orders import`
-- reads (docs/orders-input.md), one order per line with its items: the input
-- of bench/memory.sh's import, the same rows as the seed it reads from.
-- sqlite3 STORE < bench/memory/orders_jsonl.sql > orders.jsonl
.headers off
.mode list
SELECT json_object(
  'type', 'order', 'id', o.id, 'status', o.status, 'payment', o.payment,
  'shipping', o.shipping,
  'anonymized', json(CASE o.anonymized WHEN 1 THEN 'true' WHEN 0 THEN 'false' ELSE 'null' END),
  'order_number', o.order_number, 'external_ref', o.external_ref,
  'customer', json_object('id', o.customer_id, 'name', o.customer_name,
                          'email', o.customer_email),
  'contact', json_object('name', o.contact_name, 'email', o.contact_email),
  'relationships', json_object(
    'account', json_object('data', json_object('id', o.account_id)),
    'account_member', json_object('data', json_object('id', o.account_member_id))),
  'shipping_address', json_object(
    'first_name', o.shipping_first_name, 'last_name', o.shipping_last_name,
    'phone_number', o.shipping_phone_number, 'company_name', o.shipping_company_name,
    'line_1', o.shipping_line_1, 'line_2', o.shipping_line_2, 'city', o.shipping_city,
    'postcode', o.shipping_postcode, 'county', o.shipping_county,
    'country', o.shipping_country, 'region', o.shipping_region,
    'instructions', o.shipping_instructions),
  'billing_address', json_object(
    'first_name', o.billing_first_name, 'last_name', o.billing_last_name,
    'company_name', o.billing_company_name, 'line_1', o.billing_line_1,
    'line_2', o.billing_line_2, 'city', o.billing_city, 'postcode', o.billing_postcode,
    'county', o.billing_county, 'country', o.billing_country, 'region', o.billing_region),
  'meta', json_object(
    'display_price', json_object(
      'with_tax', json_object('amount', o.with_tax, 'currency', o.currency),
      'without_tax', json_object('amount', o.without_tax),
      'tax', json_object('amount', o.tax),
      'discount', json_object('amount', o.discount),
      'shipping', json_object('amount', o.shipping_amount),
      'balance_owing', json_object('amount', o.balance_owing),
      'paid', json_object('amount', o.paid),
      'authorized', json_object('amount', o.authorized)),
    'timestamps', json_object(
      'created_at', strftime('%Y-%m-%dT%H:%M:%S', o.created_at / 1000000000, 'unixepoch')
                    || printf('.%09dZ', o.created_at % 1000000000),
      'updated_at', strftime('%Y-%m-%dT%H:%M:%S', o.updated_at / 1000000000, 'unixepoch')
                    || printf('.%09dZ', o.updated_at % 1000000000))),
  'items', json(coalesce((
    SELECT json_group_array(json_object(
      'type', 'order_item', 'id', i.id, 'product_id', i.product_id, 'sku', i.sku,
      'name', i.name, 'quantity', i.quantity,
      'unit_price', json_object('amount', i.unit_price_amount)))
    FROM order_items i WHERE i.order_id = o.id), '[]')))
FROM orders o ORDER BY o.id;
