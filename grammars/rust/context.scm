; Linewright context captures for Rust; see core/syntax/nodes.py.
; @lw.definition spans a whole definition, @lw.name is its name and @lw.body its body:
; the header is the text between the definition's start and its body. An `impl` has no
; name of its own: the implemented type stands in for it.

; Imports
(use_declaration) @lw.import

(extern_crate_declaration) @lw.import

(mod_item
  !body) @lw.import

; Definitions
(function_item
  name: (identifier) @lw.name
  body: (block) @lw.body) @lw.definition

(struct_item
  name: (type_identifier) @lw.name
  body: (_) @lw.body) @lw.definition

(enum_item
  name: (type_identifier) @lw.name
  body: (enum_variant_list) @lw.body) @lw.definition

(union_item
  name: (type_identifier) @lw.name
  body: (field_declaration_list) @lw.body) @lw.definition

(trait_item
  name: (type_identifier) @lw.name
  body: (declaration_list) @lw.body) @lw.definition

(impl_item
  type: (_) @lw.name
  body: (declaration_list) @lw.body) @lw.definition

(mod_item
  name: (identifier) @lw.name
  body: (declaration_list) @lw.body) @lw.definition

; Blocks
[
  (block)
  (declaration_list)
  (field_declaration_list)
  (enum_variant_list)
  (match_block)
] @lw.block

; Statements
[
  (expression_statement)
  (let_declaration)
  (const_item)
  (static_item)
  (type_item)
] @lw.statement

; Strings
[
  (string_literal)
  (raw_string_literal)
  (char_literal)
] @lw.string

; Comments
[
  (line_comment)
  (block_comment)
] @lw.comment
