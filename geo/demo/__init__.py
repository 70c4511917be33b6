"""The demo store: real 兴安盟 boundaries and realistic layers, every register's demo records
(:mod:`.build` runs them all; :mod:`.registers` lists each register's builder), the closure
review's history, synthetic imagery. Uses anything of ``geo`` except the CLI; nothing but the CLI
(and tests) uses it."""
