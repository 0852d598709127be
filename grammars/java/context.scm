; Linewright context captures for Java; see core/syntax/nodes.py.
; @lw.definition spans a whole definition, @lw.name is its name and @lw.body its body:
; the header is the text between the definition's start and its body (annotations and
; modifiers included).

; Imports
(import_declaration) @lw.import

; Definitions
(class_declaration
  name: (identifier) @lw.name
  body: (class_body) @lw.body) @lw.definition

(interface_declaration
  name: (identifier) @lw.name
  body: (interface_body) @lw.body) @lw.definition

(enum_declaration
  name: (identifier) @lw.name
  body: (enum_body) @lw.body) @lw.definition

(record_declaration
  name: (identifier) @lw.name
  body: (class_body) @lw.body) @lw.definition

(annotation_type_declaration
  name: (identifier) @lw.name
  body: (annotation_type_body) @lw.body) @lw.definition

(method_declaration
  name: (identifier) @lw.name
  body: (block) @lw.body) @lw.definition

(constructor_declaration
  name: (identifier) @lw.name
  body: (constructor_body) @lw.body) @lw.definition

(compact_constructor_declaration
  name: (identifier) @lw.name
  body: (block) @lw.body) @lw.definition

; Blocks
[
  (block)
  (constructor_body)
  (class_body)
  (interface_body)
  (enum_body)
  (switch_block)
] @lw.block

; Statements
[
  (expression_statement)
  (local_variable_declaration)
  (field_declaration)
  (return_statement)
  (if_statement)
  (for_statement)
  (enhanced_for_statement)
  (while_statement)
  (do_statement)
  (try_statement)
  (try_with_resources_statement)
  (throw_statement)
  (break_statement)
  (continue_statement)
  (yield_statement)
  (assert_statement)
  (synchronized_statement)
  (labeled_statement)
] @lw.statement

; Strings
[
  (string_literal)
  (character_literal)
] @lw.string

(string_interpolation) @lw.interpolation

; Comments
[
  (line_comment)
  (block_comment)
] @lw.comment
