; Text objects for TypeScript with JSX (TSX), named as in nvim-treesitter-textobjects.
; grammars/typescript/ holds the same queries for plain TypeScript: keep the two in step.
; An `.inner` capture is the body node itself, braces included.

; Functions
(function_declaration
  body: (statement_block) @function.inner) @function.outer

(generator_function_declaration
  body: (statement_block) @function.inner) @function.outer

(function_expression
  body: (statement_block) @function.inner) @function.outer

(arrow_function
  body: (_) @function.inner) @function.outer

(method_definition
  body: (statement_block) @function.inner) @function.outer

; Classes
(class_declaration
  body: (class_body) @class.inner) @class.outer

(class
  body: (class_body) @class.inner) @class.outer

(abstract_class_declaration
  body: (class_body) @class.inner) @class.outer

(interface_declaration
  body: (interface_body) @class.inner) @class.outer

(enum_declaration
  body: (enum_body) @class.inner) @class.outer

; Comments
(comment) @comment.outer

; Blocks
(statement_block) @block.outer

; Calls
(call_expression
  arguments: (arguments) @call.inner) @call.outer

(new_expression) @call.outer

; Conditionals
(if_statement
  consequence: (statement_block) @conditional.inner) @conditional.outer

(ternary_expression) @conditional.outer

(switch_statement) @conditional.outer

; Loops
(for_statement
  body: (_) @loop.inner) @loop.outer

(for_in_statement
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
