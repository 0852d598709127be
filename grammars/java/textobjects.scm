; Text objects for Java, named as in nvim-treesitter-textobjects.
; An `.inner` capture is the body node itself, braces included.

; Functions
(method_declaration
  body: (block) @function.inner) @function.outer

(constructor_declaration
  body: (constructor_body) @function.inner) @function.outer

(lambda_expression
  body: (_) @function.inner) @function.outer

; Classes
(class_declaration
  body: (class_body) @class.inner) @class.outer

(interface_declaration
  body: (interface_body) @class.inner) @class.outer

(enum_declaration
  body: (enum_body) @class.inner) @class.outer

(record_declaration
  body: (class_body) @class.inner) @class.outer

; Comments
[
  (line_comment)
  (block_comment)
] @comment.outer

; Blocks
(block) @block.outer

; Calls
(method_invocation
  arguments: (argument_list) @call.inner) @call.outer

(object_creation_expression
  arguments: (argument_list) @call.inner) @call.outer

; Conditionals
(if_statement
  consequence: (_) @conditional.inner) @conditional.outer

(ternary_expression) @conditional.outer

(switch_expression) @conditional.outer

; Loops
(for_statement
  body: (_) @loop.inner) @loop.outer

(enhanced_for_statement
  body: (_) @loop.inner) @loop.outer

(while_statement
  body: (_) @loop.inner) @loop.outer

(do_statement
  body: (_) @loop.inner) @loop.outer

; Parameters
(formal_parameters
  (_) @parameter.inner)

; Returns
(return_statement) @return.outer
