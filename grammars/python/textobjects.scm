; Text objects for Python, named as in nvim-treesitter-textobjects.
; An `.inner` capture is the body node itself (the `block`).

; Functions
(function_definition
  body: (block) @function.inner) @function.outer

(lambda
  body: (_) @function.inner) @function.outer

; Classes
(class_definition
  body: (block) @class.inner) @class.outer

; Comments
(comment) @comment.outer

; Blocks
(block) @block.outer

; Calls
(call
  arguments: (argument_list) @call.inner) @call.outer

; Conditionals
(if_statement
  consequence: (block) @conditional.inner) @conditional.outer

(conditional_expression) @conditional.outer

(match_statement) @conditional.outer

; Loops
(for_statement
  body: (block) @loop.inner) @loop.outer

(while_statement
  body: (block) @loop.inner) @loop.outer

; Parameters
(parameters
  (_) @parameter.inner)

(lambda_parameters
  (_) @parameter.inner)

; Returns
(return_statement) @return.outer
