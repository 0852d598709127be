; Linewright context captures for JavaScript (and JSX); see core/syntax/nodes.py.
; @lw.definition spans a whole definition, @lw.name is its name and @lw.body its body:
; the header is the text between the definition's start and its body.

; Imports
(import_statement) @lw.import

(export_statement
  source: (string)) @lw.import

(lexical_declaration
  (variable_declarator
    value: (call_expression
      function: (identifier) @_require
      arguments: (arguments
        (string))))
  (#eq? @_require "require")) @lw.import

(variable_declaration
  (variable_declarator
    value: (call_expression
      function: (identifier) @_require
      arguments: (arguments
        (string))))
  (#eq? @_require "require")) @lw.import

; Definitions
(function_declaration
  name: (identifier) @lw.name
  body: (statement_block) @lw.body) @lw.definition

(generator_function_declaration
  name: (identifier) @lw.name
  body: (statement_block) @lw.body) @lw.definition

(class_declaration
  name: (identifier) @lw.name
  body: (class_body) @lw.body) @lw.definition

(method_definition
  name: (_) @lw.name
  body: (statement_block) @lw.body) @lw.definition

(lexical_declaration
  (variable_declarator
    name: (identifier) @lw.name
    value: [
      (arrow_function
        body: (statement_block) @lw.body)
      (function_expression
        body: (statement_block) @lw.body)
    ])) @lw.definition

; Blocks
[
  (statement_block)
  (class_body)
  (switch_body)
] @lw.block

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
] @lw.statement

; Strings
[
  (string)
  (template_string)
] @lw.string

(template_substitution) @lw.interpolation

; Comments
[
  (comment)
  (html_comment)
] @lw.comment
