; Text objects for Go, named as in nvim-treesitter-textobjects.
; An `.inner` capture is the body node itself, braces included.

; Functions
(function_declaration
  body: (block) @function.inner) @function.outer

(method_declaration
  body: (block) @function.inner) @function.outer

(func_literal
  body: (block) @function.inner) @function.outer

; Classes
(type_declaration
  (type_spec
    type: (struct_type) @class.inner)) @class.outer

(type_declaration
  (type_spec
    type: (interface_type) @class.inner)) @class.outer

; Comments
(comment) @comment.outer

; Blocks
(block) @block.outer

; Calls
(call_expression
  arguments: (argument_list) @call.inner) @call.outer

; Conditionals
(if_statement
  consequence: (block) @conditional.inner) @conditional.outer

(expression_switch_statement) @conditional.outer

(type_switch_statement) @conditional.outer

(select_statement) @conditional.outer

; Loops
(for_statement
  body: (block) @loop.inner) @loop.outer

; Parameters
(parameter_list
  (_) @parameter.inner)

; Returns
(return_statement) @return.outer
