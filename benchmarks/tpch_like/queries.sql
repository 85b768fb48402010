-- The benchmark workload: TPC-H-style analytics and everyday transactional lookups.
-- Literal values (no $n) so that every advisor plans exactly the same statements.

-- name: q01 pricing summary, recent shipments
SELECT l_returnflag, sum(l_quantity) AS qty, sum(l_extendedprice) AS base, avg(l_discount), count(*)
FROM lineitem WHERE l_shipdate >= date '2025-12-01'
GROUP BY l_returnflag ORDER BY l_returnflag;

-- name: q03 shipping priority
SELECT l.l_orderkey, sum(l.l_extendedprice * (1 - l.l_discount)) AS revenue, o.o_orderdate
FROM customer c JOIN orders o ON o.o_custkey = c.c_custkey
JOIN lineitem l ON l.l_orderkey = o.o_orderkey
WHERE c.c_mktsegment = 'machinery' AND o.o_orderdate >= date '2025-12-15'
  AND l.l_shipdate > date '2025-12-20'
GROUP BY l.l_orderkey, o.o_orderdate ORDER BY revenue DESC LIMIT 10;

-- name: q05 local supplier volume
SELECT n.n_name, sum(l.l_extendedprice * (1 - l.l_discount)) AS revenue
FROM customer c JOIN orders o ON o.o_custkey = c.c_custkey
JOIN lineitem l ON l.l_orderkey = o.o_orderkey
JOIN supplier s ON s.s_suppkey = l.l_suppkey AND s.s_nationkey = c.c_nationkey
JOIN nation n ON n.n_nationkey = s.s_nationkey
WHERE n.n_regionkey = 3 AND o.o_orderdate >= date '2025-11-01' AND o.o_orderdate < date '2025-12-01'
GROUP BY n.n_name ORDER BY revenue DESC;

-- name: q06 forecast revenue change
SELECT sum(l_extendedprice * l_discount) AS revenue FROM lineitem
WHERE l_shipdate >= date '2025-10-01' AND l_shipdate < date '2025-10-15'
  AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24;

-- name: q10 returned items
SELECT c.c_custkey, c.c_name, sum(l.l_extendedprice * (1 - l.l_discount)) AS revenue, n.n_name
FROM customer c JOIN orders o ON o.o_custkey = c.c_custkey
JOIN lineitem l ON l.l_orderkey = o.o_orderkey JOIN nation n ON n.n_nationkey = c.c_nationkey
WHERE o.o_orderdate >= date '2025-12-01' AND l.l_returnflag = 'r'
GROUP BY c.c_custkey, c.c_name, n.n_name ORDER BY revenue DESC LIMIT 20;

-- name: q12 shipping modes
SELECT l.l_shipmode, count(*) FILTER (WHERE o.o_orderpriority IN ('1-urgent', '2-high')) AS high
FROM orders o JOIN lineitem l ON l.l_orderkey = o.o_orderkey
WHERE l.l_shipmode IN ('mail', 'ship') AND l.l_receiptdate >= date '2025-12-10'
GROUP BY l.l_shipmode;

-- name: q14 promotion effect
SELECT sum(l.l_extendedprice * (1 - l.l_discount)) AS revenue, count(DISTINCT p.p_brand)
FROM lineitem l JOIN part p ON p.p_partkey = l.l_partkey
WHERE l.l_shipdate >= date '2025-12-20' AND l.l_shipdate < date '2025-12-25';

-- name: t01 order by key
SELECT o_orderkey, o_orderstatus, o_totalprice FROM orders WHERE o_orderkey = 4242;

-- name: t02 recent orders of a customer
SELECT o_orderkey, o_orderdate, o_totalprice FROM orders
WHERE o_custkey = 123 ORDER BY o_orderdate DESC LIMIT 10;

-- name: t03 lines of an order
SELECT l_linenumber, l_partkey, l_quantity FROM lineitem WHERE l_orderkey = 777;

-- name: t04 urgent pending orders
SELECT o_orderkey, o_custkey, o_orderdate FROM orders
WHERE o_orderstatus = 'p' AND o_orderpriority = '1-urgent' ORDER BY o_orderdate LIMIT 50;

-- name: t05 customer login
SELECT c_custkey, c_name FROM customer WHERE lower(c_email) = 'user42@example.com';

-- name: t06 parts by brand and size
SELECT p_partkey, p_name, p_retailprice FROM part
WHERE p_brand = 'p_brand 7' AND p_size BETWEEN 10 AND 12;

-- name: t07 cheapest suppliers of a part
SELECT s.s_name, ps.ps_supplycost FROM partsupp ps JOIN supplier s ON s.s_suppkey = ps.ps_suppkey
WHERE ps.ps_partkey = 99 ORDER BY ps.ps_supplycost LIMIT 5;

-- name: t08 stock of a supplier
SELECT ps_partkey, ps_availqty FROM partsupp WHERE ps_suppkey = 17;

-- name: t09 richest customers of a nation
SELECT c_custkey, c_acctbal FROM customer WHERE c_nationkey = 7 ORDER BY c_acctbal DESC LIMIT 20;

-- name: t10 recent lines of a part
SELECT l_orderkey, l_quantity, l_shipdate FROM lineitem
WHERE l_partkey = 555 AND l_shipdate >= date '2025-06-01';

-- name: t11 parts with an attribute
SELECT p_partkey, p_name FROM part WHERE p_attrs @> '{"kind": "delta"}';

-- name: t12 orders of the last day
SELECT count(*) FROM orders WHERE o_created_at >= timestamptz '2025-12-31 00:00:00+00';

-- name: t13 late air shipments
SELECT count(*) FROM lineitem
WHERE l_shipmode = 'air' AND l_receiptdate > l_commitdate AND l_shipdate >= date '2025-12-28';
