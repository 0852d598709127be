; Text objects for C++, named as in nvim-treesitter-textobjects.
; An `.inner` capture is the body node itself, braces included.

; Functions
(function_definition
  body: (compound_statement) @function.inner) @function.outer

(lambda_expression
  body: (compound_statement) @function.inner) @function.outer

; Classes
(class_specifier
  body: (field_declaration_list) @class.inner) @class.outer

(struct_specifier
  body: (field_declaration_list) @class.inner) @class.outer

(union_specifier
  body: (field_declaration_list) @class.inner) @class.outer

(enum_specifier
  body: (enumerator_list) @class.inner) @class.outer

; Comments
(comment) @comment.outer

; Blocks
(compound_statement) @block.outer

; Calls
(call_expression
  arguments: (argument_list) @call.inner) @call.outer

; Conditionals
(if_statement
  consequence: (_) @conditional.inner) @conditional.outer

(conditional_expression) @conditional.outer

(switch_statement) @conditional.outer

; Loops
(for_statement
  body: (_) @loop.inner) @loop.outer

(for_range_loop
  body: (_) @loop.inner) @loop.outer

(while_statement
  body: (_) @loop.inner) @loop.outer

(do_statement
  body: (_) @loop.inner) @loop.outer

; Parameters
(parameter_list
  (_) @parameter.inner)

; Returns
(return_statement) @return.outer
