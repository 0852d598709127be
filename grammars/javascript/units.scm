; Linewright completion units for JavaScript (and JSX) (see features/completion/units.py).
; @lw.unit marks a syntactic unit: a suggestion that starts inside one that began before
; the cursor stops where the unit ends (for a block: its matching close brace); the end of
; any unit is also a place where a suggestion may be cut shorter.

; Statements
[
  (expression_statement)
  (lexical_declaration)
  (variable_declaration)
  (return_statement)
  (if_statement)
  (for_statement)
  (for_in_statement)
  (while_statement)
  (do_statement)
  (try_statement)
  (switch_statement)
  (throw_statement)
  (break_statement)
  (continue_statement)
  (debugger_statement)
  (labeled_statement)
  (with_statement)
  (import_statement)
  (export_statement)
] @lw.unit

; Definitions and class members
[
  (function_declaration)
  (generator_function_declaration)
  (class_declaration)
  (method_definition)
  (field_definition)
  (switch_case)
  (switch_default)
] @lw.unit

; Blocks
[
  (statement_block)
  (class_body)
  (switch_body)
] @lw.unit
