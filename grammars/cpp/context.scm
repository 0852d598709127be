; Linewright context captures for C++; see core/syntax/nodes.py.
; @lw.definition spans a whole definition, @lw.name is its name and @lw.body its body:
; the header is the text between the definition's start and its body. A function that
; returns a pointer or reference nests its name one declarator deeper.

; Imports
(preproc_include) @lw.import

(using_declaration) @lw.import

; Definitions
(function_definition
  declarator: (function_declarator
    declarator: (_) @lw.name)
  body: (compound_statement) @lw.body) @lw.definition

(function_definition
  declarator: (pointer_declarator
    declarator: (function_declarator
      declarator: (_) @lw.name))
  body: (compound_statement) @lw.body) @lw.definition

(function_definition
  declarator: (reference_declarator
    (function_declarator
      declarator: (_) @lw.name))
  body: (compound_statement) @lw.body) @lw.definition

(class_specifier
  name: (_)? @lw.name
  body: (field_declaration_list) @lw.body) @lw.definition

(struct_specifier
  name: (_)? @lw.name
  body: (field_declaration_list) @lw.body) @lw.definition

(union_specifier
  name: (_)? @lw.name
  body: (field_declaration_list) @lw.body) @lw.definition

(enum_specifier
  name: (_)? @lw.name
  body: (enumerator_list) @lw.body) @lw.definition

(namespace_definition
  name: (_)? @lw.name
  body: (declaration_list) @lw.body) @lw.definition

; Blocks
[
  (compound_statement)
  (field_declaration_list)
  (declaration_list)
] @lw.block

; Statements
[
  (expression_statement)
  (declaration)
  (type_definition)
  (alias_declaration)
  (static_assert_declaration)
  (return_statement)
  (co_return_statement)
  (co_yield_statement)
  (if_statement)
  (for_statement)
  (for_range_loop)
  (while_statement)
  (do_statement)
  (switch_statement)
  (case_statement)
  (try_statement)
  (throw_statement)
  (break_statement)
  (continue_statement)
  (goto_statement)
  (labeled_statement)
] @lw.statement

; Strings
[
  (string_literal)
  (raw_string_literal)
  (char_literal)
  (system_lib_string)
] @lw.string

; Comments
(comment) @lw.comment
