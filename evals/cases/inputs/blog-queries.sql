-- What the blog's application sends: the workload of the optimize-blog case.

-- name: user by email
SELECT id, name FROM users WHERE lower(email) = lower($1);

-- name: posts of an author, page by page
SELECT * FROM posts WHERE user_id = $1 ORDER BY published_at DESC LIMIT 10 OFFSET 40;

-- name: comments of a post
SELECT id, user_id, body, created_at FROM comments WHERE post_id = $1 ORDER BY created_at;

-- name: latest published posts
SELECT id, title, published_at FROM posts
WHERE status = 'published' ORDER BY published_at DESC LIMIT 20;

-- name: posts with a tag
SELECT p.id, p.title FROM posts p JOIN post_tags pt ON pt.post_id = p.id
WHERE pt.tag_id = $1 ORDER BY p.published_at DESC LIMIT 20;
