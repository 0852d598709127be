; Linewright context captures for Go; see core/syntax/nodes.py.
; @lw.definition spans a whole definition, @lw.name is its name and @lw.body its body:
; the header is the text between the definition's start and its body.

; Imports
(import_declaration) @lw.import

; Definitions
(function_declaration
  name: (identifier) @lw.name
  body: (block) @lw.body) @lw.definition

(method_declaration
  name: (field_identifier) @lw.name
  body: (block) @lw.body) @lw.definition

(type_declaration
  (type_spec
    name: (type_identifier) @lw.name
    type: (struct_type
      (field_declaration_list) @lw.body))) @lw.definition

(type_declaration
  (type_spec
    name: (type_identifier) @lw.name
    type: (interface_type) @lw.body)) @lw.definition

; Blocks
[
  (block)
  (field_declaration_list)
] @lw.block

; Statements
[
  (expression_statement)
  (short_var_declaration)
  (assignment_statement)
  (inc_statement)
  (dec_statement)
  (send_statement)
  (var_declaration)
  (const_declaration)
  (return_statement)
  (go_statement)
  (defer_statement)
  (if_statement)
  (for_statement)
  (expression_switch_statement)
  (type_switch_statement)
  (select_statement)
  (break_statement)
  (continue_statement)
  (goto_statement)
  (fallthrough_statement)
  (labeled_statement)
] @lw.statement

; Strings
[
  (interpreted_string_literal)
  (raw_string_literal)
  (rune_literal)
] @lw.string

; Comments
(comment) @lw.comment
