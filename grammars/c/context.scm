; Linewright context captures for C; see core/syntax/nodes.py.
; @lw.definition spans a whole definition, @lw.name is its name and @lw.body its body:
; the header is the text between the definition's start and its body. A function that
; returns a pointer nests its name one or two declarators deeper, hence three patterns.

; Imports
(preproc_include) @lw.import

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
  declarator: (pointer_declarator
    declarator: (pointer_declarator
      declarator: (function_declarator
        declarator: (_) @lw.name)))
  body: (compound_statement) @lw.body) @lw.definition

(struct_specifier
  name: (type_identifier)? @lw.name
  body: (field_declaration_list) @lw.body) @lw.definition

(union_specifier
  name: (type_identifier)? @lw.name
  body: (field_declaration_list) @lw.body) @lw.definition

(enum_specifier
  name: (type_identifier)? @lw.name
  body: (enumerator_list) @lw.body) @lw.definition

; Blocks
(compound_statement) @lw.block

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
] @lw.statement

; Strings
[
  (string_literal)
  (char_literal)
  (system_lib_string)
] @lw.string

; Comments
(comment) @lw.comment
