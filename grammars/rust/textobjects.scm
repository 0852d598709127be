; Text objects for Rust, named as in nvim-treesitter-textobjects.
; An `.inner` capture is the body node itself, braces included.

; Functions
(function_item
  body: (block) @function.inner) @function.outer

(closure_expression
  body: (_) @function.inner) @function.outer

; Classes
(struct_item
  body: (_) @class.inner) @class.outer

(enum_item
  body: (enum_variant_list) @class.inner) @class.outer

(union_item
  body: (field_declaration_list) @class.inner) @class.outer

(trait_item
  body: (declaration_list) @class.inner) @class.outer

(impl_item
  body: (declaration_list) @class.inner) @class.outer

; Comments
[
  (line_comment)
  (block_comment)
] @comment.outer

; Blocks
(block) @block.outer

; Calls
(call_expression
  arguments: (arguments) @call.inner) @call.outer

(macro_invocation
  (token_tree) @call.inner) @call.outer

; Conditionals
(if_expression
  consequence: (block) @conditional.inner) @conditional.outer

(match_expression
  body: (match_block) @conditional.inner) @conditional.outer

; Loops
(for_expression
  body: (block) @loop.inner) @loop.outer

(while_expression
  body: (block) @loop.inner) @loop.outer

(loop_expression
  body: (block) @loop.inner) @loop.outer

; Parameters
(parameters
  (_) @parameter.inner)

(closure_parameters
  (_) @parameter.inner)

; Returns
(return_expression) @return.outer
