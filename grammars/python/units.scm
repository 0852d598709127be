; Linewright completion units for Python (see features/completion/units.py).
; @lw.unit marks a syntactic unit: a suggestion that starts inside one that began before
; the cursor stops where the unit ends; the end of any unit is also a place where a
; suggestion may be cut shorter when the longer text does not parse.

; Simple statements
[
  (expression_statement)
  (return_statement)
  (pass_statement)
  (break_statement)
  (continue_statement)
  (raise_statement)
  (assert_statement)
  (delete_statement)
  (global_statement)
  (nonlocal_statement)
  (type_alias_statement)
  (print_statement)
  (exec_statement)
  (import_statement)
  (import_from_statement)
  (future_import_statement)
] @lw.unit

; Compound statements
[
  (if_statement)
  (for_statement)
  (while_statement)
  (try_statement)
  (with_statement)
  (match_statement)
  (function_definition)
  (class_definition)
  (decorated_definition)
] @lw.unit

; Blocks
; @lw.indented: a block made by indentation, whose statements must line up (the grammar
; accepts misaligned ones; the parse check counts them as breakage).
(block) @lw.unit @lw.indented
