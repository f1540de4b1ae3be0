# The `qinfer` CLI and the public-API example: every error path must exit non-zero with a clear message and
# no crash; a real run is checked against numpy. Models and input files are made at test time by Python
# (onnx + numpy) in the cli.setup fixture. Also links the tools' tensor-file tests to their library.

find_program(QI_TOOLS_PYTHON python3 PATHS /usr/bin NO_DEFAULT_PATH)
find_program(QI_TOOLS_PYTHON python3)

# Unit tests of engine/quant/io/npy.c and tools/tensor_pb.c: numpy / onnx write their oracle files at test time.
foreach(t test_npy test_tensor_pb)
  if(TARGET ${t})
    target_link_libraries(${t} PRIVATE qinfer_tools_io)
    if(QI_TOOLS_PYTHON)
      set_tests_properties(unit.${t} PROPERTIES ENVIRONMENT "QI_PYTHON=${QI_TOOLS_PYTHON}")
    endif()
  endif()
endforeach()

if(NOT TARGET qinfer)
  return()
endif()

set(QI_CLI_DIR ${CMAKE_CURRENT_BINARY_DIR}/cli)
file(MAKE_DIRECTORY ${QI_CLI_DIR})

# Runs a command, then prints "[exit N]": the pass regex checks the message and the exit status together
# (a plain PASS_REGULAR_EXPRESSION ignores the status; a crash would show as 134 / 139, or a sanitizer report).
function(qi_cli_test name exit_code regex)
  cmake_parse_arguments(T "" "FIXTURES" "" ${ARGN})
  add_test(NAME cli.${name} COMMAND sh -c "\"$0\" \"$@\" 2>&1; echo \"[exit $?]\"" ${T_UNPARSED_ARGUMENTS}
           WORKING_DIRECTORY ${QI_CLI_DIR})
  set_tests_properties(cli.${name} PROPERTIES
                       PASS_REGULAR_EXPRESSION "${regex}.*\\[exit ${exit_code}\\]"
                       FAIL_REGULAR_EXPRESSION "Sanitizer|runtime error|Segmentation fault|Aborted")
  if(T_FIXTURES)
    set_tests_properties(cli.${name} PROPERTIES FIXTURES_REQUIRED "${T_FIXTURES}")
  endif()
endfunction()

set(Q $<TARGET_FILE:qinfer>)

# ---- usage errors and commands that need no files ----
qi_cli_test(no_args 2 "usage: qinfer <command>" ${Q})
qi_cli_test(unknown_command 2 "unknown command 'bogus'" ${Q} bogus)
qi_cli_test(version 0 "qinfer [0-9]+\\.[0-9]+\\.[0-9]+" ${Q} --version)
qi_cli_test(help 0 "usage: qinfer <command>.*run " ${Q} help)
qi_cli_test(help_run 0 "usage: qinfer run MODEL.*--output-dir" ${Q} help run)
qi_cli_test(help_info 0 "usage: qinfer info MODEL" ${Q} help info)
qi_cli_test(help_unknown 2 "unknown command 'nope'" ${Q} help nope)
qi_cli_test(run_no_model 2 "qinfer run: no model given" ${Q} run)
qi_cli_test(info_no_model 2 "qinfer info: no model given" ${Q} info)
qi_cli_test(run_two_models 2 "more than one model" ${Q} run a.onnx b.onnx)
qi_cli_test(run_bad_option 2 "unknown option '--frobnicate'" ${Q} run a.onnx --frobnicate)
qi_cli_test(info_bad_option 2 "unknown option '--frobnicate'" ${Q} info a.onnx --frobnicate)
qi_cli_test(run_bad_threads 2 "--threads needs a number" ${Q} run a.onnx --threads many)
qi_cli_test(run_negative_threads 2 "--threads needs a number" ${Q} run a.onnx --threads -1)
qi_cli_test(run_bad_repeat 2 "--repeat needs a number >= 1" ${Q} run a.onnx --repeat 0)
qi_cli_test(run_bad_isa 2 "--isa needs one of" ${Q} run a.onnx --isa sse9)
qi_cli_test(run_bad_dim 2 "bad --dim 'batch'" ${Q} run a.onnx --dim batch)
qi_cli_test(run_bad_dim_value 2 "bad --dim 'batch=-2'" ${Q} run a.onnx --dim batch=-2)
qi_cli_test(run_bad_input_arg 2 "bad --input 'x.npy' \\(expected NAME=FILE\\)" ${Q} run a.onnx --input x.npy)
qi_cli_test(run_input_no_value 2 "--input needs NAME=FILE" ${Q} run a.onnx --input)
# run and bench take an input given twice as a second input set (tests/engine/check_input_sets.py); compare does not
qi_cli_test(compare_duplicate_input 2 "input 'x' given twice" ${Q} compare a.onnx b.onnx --input x=1.npy --input x=2.npy)
qi_cli_test(run_missing_model 1 "cannot load model: QINFER_ERR_IO: .*missing.onnx" ${Q} run missing.onnx)
qi_cli_test(info_missing_model 1 "cannot load model: QINFER_ERR_IO: .*missing.onnx" ${Q} info missing.onnx)

if(NOT QI_TOOLS_PYTHON)
  qi_test_suite_unavailable("qinfer CLI tests: no python3, the tests that need models are off")
  return()
endif()

# ---- fixture: a small model, input files, broken files ----
file(WRITE ${QI_CLI_DIR}/make_cli_data.py [=[
import os
import numpy as np, onnx
from onnx import helper, numpy_helper, TensorProto as TP
# z/out:0 = Relu(x + y), m = z/out:0 @ w; a symbolic batch dim and an output name that must be sanitized.
w = numpy_helper.from_array((np.arange(32, dtype=np.float32) / 10).reshape(4, 8), 'w')
graph = helper.make_graph(
    [helper.make_node('Add', ['x', 'y'], ['s']), helper.make_node('Relu', ['s'], ['z/out:0']),
     helper.make_node('MatMul', ['z/out:0', 'w'], ['m'])], 'cli',
    [helper.make_tensor_value_info('x', TP.FLOAT, ['batch', 4]), helper.make_tensor_value_info('y', TP.FLOAT, [1, 4])],
    [helper.make_tensor_value_info('z/out:0', TP.FLOAT, ['batch', 4]),
     helper.make_tensor_value_info('m', TP.FLOAT, ['batch', 8])], [w])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)])
onnx.checker.check_model(model)
onnx.save(model, 'add.onnx')
np.save('x.npy', np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4))
open('y.pb', 'wb').write(numpy_helper.from_array(np.array([[0.5, -0.5, 0.25, 0]], np.float32), 'y').SerializeToString())
np.save('x_wide.npy', np.zeros((2, 5), np.float32))
np.save('x_rank3.npy', np.zeros((1, 2, 4), np.float32))
np.save('x_int64.npy', np.zeros((2, 4), np.int64))
np.save('x_fortran.npy', np.asfortranarray(np.zeros((2, 4), np.float32)))
np.save('y_wrong.npy', np.zeros((2, 4), np.float32))
# MAC counting: Conv, depthwise Conv, ConvTranspose, Gemm; ONNX Attention (opset 23) with past keys.
init = lambda name, *shape: numpy_helper.from_array(np.full(shape, 0.01, np.float32), name)
nodes = [helper.make_node('Conv', ['img', 'W', 'B'], ['c1'], pads=[1, 1, 1, 1]),
         helper.make_node('Conv', ['c1', 'W2'], ['c2'], pads=[1, 1, 1, 1], group=16, strides=[2, 2]),
         helper.make_node('ConvTranspose', ['c2', 'WT'], ['c3'], strides=[2, 2]),
         helper.make_node('Flatten', ['c3'], ['f']), helper.make_node('Gemm', ['f', 'G'], ['logits'], transB=1)]
graph = helper.make_graph(nodes, 'cnn', [helper.make_tensor_value_info('img', TP.FLOAT, ['N', 3, 16, 16])],
    [helper.make_tensor_value_info('logits', TP.FLOAT, ['N', 10])],
    [init('W', 16, 3, 3, 3), init('B', 16), init('W2', 16, 1, 3, 3), init('WT', 16, 4, 2, 2), init('G', 10, 1024)])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)]), 'cnn.onnx')
vi = lambda name, *shape: helper.make_tensor_value_info(name, TP.FLOAT, list(shape))
graph = helper.make_graph([helper.make_node('Attention', ['q', 'k', 'v', '', 'pk', 'pv'], ['o', 'pko', 'pvo'])],
    'attn', [vi('q', 1, 2, 3, 4), vi('k', 1, 2, 5, 4), vi('v', 1, 2, 5, 6), vi('pk', 1, 2, 7, 4), vi('pv', 1, 2, 7, 6)],
    [vi('o', 1, 2, 3, 6), vi('pko', 1, 2, 12, 4), vi('pvo', 1, 2, 12, 6)])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid('', 23)]), 'attn.onnx')
# A small CNN with random weights for the quantizer's example, and calibration samples for it (.npy, one a file).
rng = np.random.default_rng(5)
rand = lambda name, *shape: numpy_helper.from_array((rng.standard_normal(shape) * 0.3).astype(np.float32), name)
nodes = [helper.make_node('Conv', ['x', 'w1', 'b1'], ['c1'], pads=[1, 1, 1, 1]), helper.make_node('Relu', ['c1'], ['r1']),
         helper.make_node('Conv', ['r1', 'w2', 'b2'], ['c2'], pads=[1, 1, 1, 1]), helper.make_node('Add', ['c2', 'r1'], ['s']),
         helper.make_node('GlobalAveragePool', ['s'], ['g']), helper.make_node('Flatten', ['g'], ['f']),
         helper.make_node('Gemm', ['f', 'fw', 'fb'], ['y'], transB=1)]
graph = helper.make_graph(nodes, 'qcnn', [helper.make_tensor_value_info('x', TP.FLOAT, ['N', 3, 8, 8])],
    [helper.make_tensor_value_info('y', TP.FLOAT, ['N', 4])],
    [rand('w1', 8, 3, 3, 3), rand('b1', 8), rand('w2', 8, 8, 3, 3), rand('b2', 8), rand('fw', 4, 8), rand('fb', 4)])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)]), 'qcnn.onnx')
os.makedirs('qcnn_calib', exist_ok=True)
for k in range(4):
    np.save('qcnn_calib/%02d.npy' % k, rng.standard_normal((1, 3, 8, 8)).astype(np.float32))
open('garbage.onnx', 'wb').write(b'this is not an ONNX model')
open('garbage.npy', 'wb').write(b'\x93NUMPY\x01\x00\xff\x00{')
open('garbage.pb', 'wb').write(b'\x0a\xff\xff\xff\xff\x0f')
for fifo in ('fifo.onnx', 'fifo.npy'):  # FIFOs no one writes: refused, not waited on
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
]=])
file(WRITE ${QI_CLI_DIR}/check_cli_out.py [=[
import numpy as np, sys
x = np.load('x.npy')
z = np.maximum(x + np.array([[0.5, -0.5, 0.25, 0]], np.float32), 0)
m = z @ (np.arange(32, dtype=np.float32) / 10).reshape(4, 8)
got_z, got_m = np.load('out/z_out_0.npy'), np.load('out/m.npy')
ok = got_z.dtype == np.float32 and got_z.shape == (2, 4) and np.allclose(got_z, z, atol=1e-6)
ok = ok and got_m.shape == (2, 8) and np.allclose(got_m, m, atol=1e-5)
print('outputs match numpy' if ok else 'MISMATCH\n%s\n%s' % (got_z, got_m))
sys.exit(0 if ok else 1)
]=])
add_test(NAME cli.setup COMMAND ${QI_TOOLS_PYTHON} make_cli_data.py WORKING_DIRECTORY ${QI_CLI_DIR})
set_tests_properties(cli.setup PROPERTIES FIXTURES_SETUP qi_cli_data)

set(D FIXTURES qi_cli_data)
# ---- runs that must work ----
qi_cli_test(run 0 "input  x .*x.npy.*output z/out:0 +float +\\[2,4\\].*-> out/z_out_0.npy.*-> out/m.npy" ${D}
            ${Q} run add.onnx --input x=x.npy --input y=y.pb --output-dir out)
set_tests_properties(cli.run PROPERTIES FIXTURES_SETUP qi_cli_out)
add_test(NAME cli.run_matches_numpy COMMAND ${QI_TOOLS_PYTHON} check_cli_out.py WORKING_DIRECTORY ${QI_CLI_DIR})
set_tests_properties(cli.run_matches_numpy PROPERTIES FIXTURES_REQUIRED "qi_cli_data;qi_cli_out"
                     PASS_REGULAR_EXPRESSION "outputs match numpy")
qi_cli_test(run_random 0 "x +float +\\[3,4\\] +random.*output m +float +\\[3,8\\]" ${D}
            ${Q} run add.onnx --dim batch=3 --repeat 2 --threads 2 --seed 7 --output-dir out_random/nested)
# --read-model (the model read into memory, not mapped): the same outputs as the mapped load of cli.run.
qi_cli_test(run_read_model 0 "output z/out:0 +float +\\[2,4\\].*-> out_read/z_out_0.npy.*-> out_read/m.npy" ${D}
            ${Q} run add.onnx --input x=x.npy --input y=y.pb --output-dir out_read --read-model)
set_tests_properties(cli.run_read_model PROPERTIES FIXTURES_SETUP qi_cli_out_read)
add_test(NAME cli.run_read_model_same_outputs
         COMMAND ${QI_TOOLS_PYTHON} -c [=[
import numpy as np
for f in ('z_out_0.npy', 'm.npy'):
    a, b = np.load('out/' + f), np.load('out_read/' + f)
    assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), f
print('same outputs')
]=]
         WORKING_DIRECTORY ${QI_CLI_DIR})
set_tests_properties(cli.run_read_model_same_outputs PROPERTIES
                     FIXTURES_REQUIRED "qi_cli_data;qi_cli_out;qi_cli_out_read" PASS_REGULAR_EXPRESSION "same outputs")
qi_cli_test(run_read_model_fifo 1 "cannot load model: QINFER_ERR_IO: 'fifo.onnx' is not a regular file" ${D}
            ${Q} run fifo.onnx --read-model)
set_tests_properties(cli.run_read_model_fifo PROPERTIES TIMEOUT 30)
qi_cli_test(bench_read_model 0 "runs +2 .*median +[0-9.]+ ms" ${D} ${Q} bench add.onnx --runs 2 --warmup 0 --read-model)
qi_cli_test(info_read_model 0 "bound input shapes: x\\[5,4\\].*MACs: +160 " ${D} ${Q} info add.onnx --dim batch=5 --read-model)
qi_cli_test(run_scalar_isa 0 "isa scalar" ${D} ${Q} run add.onnx --isa=scalar --output-dir out_scalar)
# --all-tensors: the Relu is fused into the Add, so the readable tensors are x, y, z/out:0 and m, in that order;
# each file holds what the run wrote as an output (the inputs: what it read).
qi_cli_test(run_all_tensors 0 "output m .*-> out_all/m.npy" ${D}
            ${Q} run add.onnx --input x=x.npy --output-dir out_all --all-tensors out_all/tensors)
set_tests_properties(cli.run_all_tensors PROPERTIES FIXTURES_SETUP qi_cli_all_tensors)
add_test(NAME cli.run_all_tensors_files
         COMMAND ${QI_TOOLS_PYTHON} -c [=[
import numpy as np
rows = [line.split('\t') for line in open('out_all/tensors/tensors.tsv').read().splitlines()]
want = [['x', '0000_x.npy', 'float', '[2,4]'], ['y', '0001_y.npy', 'float', '[1,4]'],
        ['z/out:0', '0002_z_out_0.npy', 'float', '[2,4]'], ['m', '0003_m.npy', 'float', '[2,8]']]
assert rows == want, rows
for ref, k in (('x.npy', 0), ('out_all/z_out_0.npy', 2), ('out_all/m.npy', 3)):
    assert np.array_equal(np.load(ref), np.load('out_all/tensors/' + want[k][1])), ref
print('all tensors written')
]=]
         WORKING_DIRECTORY ${QI_CLI_DIR})
set_tests_properties(cli.run_all_tensors_files PROPERTIES FIXTURES_REQUIRED "qi_cli_data;qi_cli_all_tensors"
                     PASS_REGULAR_EXPRESSION "all tensors written")
qi_cli_test(info 0 "x +float +\\[batch,4\\].*m +float +\\[batch,8\\].*parameters: 32 .*MatMul +1.*MACs: +32 " ${D}
            ${Q} info add.onnx)
qi_cli_test(info_dim 0 "bound input shapes: x\\[5,4\\].*MACs: +160 " ${D} ${Q} info add.onnx --dim batch=5)
# Conv 2*16*16*16*27 + depthwise 2*16*8*8*9 + ConvTranspose 2*16*8*8*16 + Gemm 2*10*1024 = 292,864;
# parameters 432 + 16 + 144 + 256 + 10240 = 11,088.
qi_cli_test(info_cnn_macs 0 "parameters: 11.09 K \\(11,088\\).*Conv +2.*MACs: +292.86 K \\(292,864\\)" ${D}
            ${Q} info cnn.onnx --dim N=2)
# Attention with 5 new and 7 past keys: Q.K^T 2*3*4*12 + .V 2*3*12*6 = 288 + 432.
qi_cli_test(info_attention_macs 0 "MACs: +720 " ${D} ${Q} info attn.onnx)
if(TARGET qinfer_example)
  qi_cli_test(example 0 "z/out:0: float \\[1, 4\\] 1 1 1 1\nm: float \\[1, 8\\] 4.8 5.2 5.6 6 6.4 ..." ${D}
              $<TARGET_FILE:qinfer_example> add.onnx)
  qi_cli_test(example_shared_library 0 "z/out:0: float \\[1, 4\\] 1 1 1 1\nm: float \\[1, 8\\] 4.8 5.2 5.6 6 6.4 ..."
              ${D} $<TARGET_FILE:qinfer_example_shared> add.onnx)
endif()
# docs/example_quantize.c: samples from its callback (static library) and from a folder (shared library); the
# INT8 model it writes must load, run and stay close to the FP32 one (two convolutions: well above 20 dB).
if(TARGET qinfer_example_quantize)
  set(_qi_q_out "calibrating \\(min/max\\): ([0-9]+)/[0-9]+ samples\nquantized 6 nodes \\(7 activations, 3 weights, 3 biases\\)")
  set(_qi_q_cmp "output y: SQNR ([2-9][0-9]|[1-9][0-9][0-9])\\.[0-9]+ dB, cosine 0\\.9.*tensors compared, worst ")
  qi_cli_test(example_quantize 0 "${_qi_q_out} on 8 samples.*${_qi_q_cmp}" ${D}
              $<TARGET_FILE:qinfer_example_quantize> qcnn.onnx qcnn_int8.onnx)
  qi_cli_test(example_quantize_folder 0 "${_qi_q_out} on 4 samples.*${_qi_q_cmp}" ${D}
              $<TARGET_FILE:qinfer_example_quantize_shared> qcnn.onnx qcnn_int8_folder.onnx qcnn_calib)
endif()

# ---- errors that need files ----
qi_cli_test(run_garbage_model 1 "cannot load model: QINFER_ERR_INVALID_MODEL" ${D} ${Q} run garbage.onnx)
qi_cli_test(info_garbage_model 1 "cannot load model: QINFER_ERR_INVALID_MODEL" ${D} ${Q} info garbage.onnx)
qi_cli_test(run_wrong_shape 1 "input 'x': x_wide.npy has shape \\[2,5\\], the model expects \\[batch,4\\]" ${D}
            ${Q} run add.onnx --input x=x_wide.npy)
qi_cli_test(run_wrong_rank 1 "input 'x': x_rank3.npy has shape \\[1,2,4\\] \\(rank 3\\)" ${D}
            ${Q} run add.onnx --input x=x_rank3.npy)
qi_cli_test(run_wrong_fixed_dim 1 "input 'y': y_wrong.npy has shape \\[2,4\\], the model expects \\[1,4\\]" ${D}
            ${Q} run add.onnx --input y=y_wrong.npy)
qi_cli_test(run_wrong_dtype 1 "x_int64.npy holds int64 data, the model expects float" ${D}
            ${Q} run add.onnx --input x=x_int64.npy)
qi_cli_test(run_unknown_input 1 "the model has no input 'q' \\(its inputs: 'x', 'y'\\)" ${D}
            ${Q} run add.onnx --input q=x.npy)
qi_cli_test(run_missing_input_file 1 "input 'x': cannot open 'nothere.npy'" ${D}
            ${Q} run add.onnx --input x=nothere.npy)
qi_cli_test(run_fortran_input 1 "Fortran-order .npy arrays are not supported" ${D}
            ${Q} run add.onnx --input x=x_fortran.npy)
qi_cli_test(run_garbage_npy 1 "input 'x': garbage.npy: truncated .npy header" ${D}
            ${Q} run add.onnx --input x=garbage.npy)
qi_cli_test(run_garbage_pb 1 "input 'x': garbage.pb: truncated or malformed TensorProto" ${D}
            ${Q} run add.onnx --input x=garbage.pb)
# Files that are not regular: a FIFO (its blocking open would wait forever for a writer) as the model or an input,
# and a device that never ends (reading /dev/zero whole would run out of memory). The TIMEOUT turns a hang into a
# failure.
qi_cli_test(run_fifo_model 1 "cannot load model: QINFER_ERR_IO: 'fifo.onnx' is not a regular file" ${D}
            ${Q} run fifo.onnx)
qi_cli_test(run_fifo_input 1 "input 'x': 'fifo.npy' is not a regular file" ${D}
            ${Q} run add.onnx --input x=fifo.npy)
qi_cli_test(run_dev_zero_input 1 "input 'x': '/dev/zero' is not a regular file" ${D}
            ${Q} run add.onnx --input x=/dev/zero)
set_tests_properties(cli.run_fifo_model cli.run_fifo_input cli.run_dev_zero_input PROPERTIES TIMEOUT 30)
qi_cli_test(run_output_dir_is_file 1 "cannot create output folder 'add.onnx'" ${D}
            ${Q} run add.onnx --output-dir add.onnx)

# ---- qinfer bench (tools/cmd_bench.c): a timed run on the fixture model, the JSON form, a usage error ----
qi_cli_test(bench 0 "input  x .*random.*runs +3 \\(after 1 warm-up\\).*median +[0-9.]+ ms.*p90 .*MACs +96" ${D}
            ${Q} bench add.onnx --dim batch=3 --runs 3 --warmup 1 --threads 2)
qi_cli_test(bench_json 0 "^\\{\"model\": \"add.onnx\".*\"runs\": 2, \"median_ms\": [0-9.]+.*\"macs\": 32," ${D}
            ${Q} bench add.onnx --runs=2 --json)
# --profile: the fixture model's two nodes (an Add, whose op names no kernel, and a MatMul on the gemm), slowest
# first in whichever order this run times them, then the op-type totals
qi_cli_test(bench_profile 0 "profile +2 nodes, median ms of each over 3 runs.*MatMul +qi_f32_gemm_[a-z0-9_]+__[a-z0-9]+ .*per op type.* 1  (Add|MatMul)" ${D}
            ${Q} bench add.onnx --runs 3 --warmup 1 --profile)
qi_cli_test(bench_profile_json 0 "\"profile\": \\{\"sum_ms\": [0-9.]+, \"nodes\": \\[\\{\"op_type\": .*\"op_type\": \"MatMul\", \"name\": \"\", \"kernel\": \"qi_f32_gemm_[a-z0-9_]+__[a-z0-9]+\", \"step\": 1, \"ms\": [0-9.]+, \"share\": [0-9.]+, \"macs\": 32,.*\"op_types\": \\[" ${D}
            ${Q} bench add.onnx --runs=2 --json --profile)
qi_cli_test(bench_bad_runs 2 "qinfer bench: --runs needs a number from 1" ${Q} bench add.onnx --runs 0)
