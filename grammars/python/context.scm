; Linewright context captures for Python (see core/syntax/nodes.py).
; @lw.definition spans a whole definition, @lw.name is its name and @lw.body its body:
; the header is the text between the definition's start and its body.

; Imports
(import_statement) @lw.import

(import_from_statement) @lw.import

(future_import_statement) @lw.import

; Definitions
(function_definition
  name: (identifier) @lw.name
  body: (block) @lw.body) @lw.definition

(class_definition
  name: (identifier) @lw.name
  body: (block) @lw.body) @lw.definition

; Blocks
(block) @lw.block

; Statements
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
  (if_statement)
  (for_statement)
  (while_statement)
  (try_statement)
  (with_statement)
  (match_statement)
] @lw.statement

; Strings
(string) @lw.string

(interpolation) @lw.interpolation

; Comments
(comment) @lw.comment
