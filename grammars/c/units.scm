; Linewright completion units for C (see features/completion/units.py).
; @lw.unit marks a syntactic unit: a suggestion that starts inside one that began before
; the cursor stops where the unit ends (for a block: its matching close brace); the end of
; any unit is also a place where a suggestion may be cut shorter.

; Statements
[
  (expression_statement)
  (declaration)
  (type_definition)
  (return_statement)
  (if_statement)
  (for_statement)
  (while_statement)
  (do_statement)
  (switch_statement)
  (case_statement)
  (break_statement)
  (continue_statement)
  (goto_statement)
  (labeled_statement)
] @lw.unit

; Definitions and preprocessor lines
[
  (function_definition)
  (field_declaration)
  (enumerator)
  (preproc_include)
  (preproc_def)
  (preproc_function_def)
  (preproc_call)
] @lw.unit

; Blocks
[
  (compound_statement)
  (field_declaration_list)
  (enumerator_list)
  (initializer_list)
] @lw.unit
