-- What the shop's application sends: the workload of the optimize case.

-- name: orders of a customer
SELECT id, status, total, placed_at FROM orders
WHERE customer_id = $1 ORDER BY placed_at DESC LIMIT 20;

-- name: customer by email
SELECT id, full_name FROM customers WHERE lower(email) = lower($1);

-- name: items of an order
SELECT product_id, quantity, unit_price FROM order_items WHERE order_id = $1;

-- name: open orders
SELECT * FROM orders WHERE status = 'open' ORDER BY placed_at LIMIT 50 OFFSET 500;
