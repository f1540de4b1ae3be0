/* Region markers for llvm-mca's static throughput estimates (tools/mca-report.sh, docs/kernels.md).
 *
 * A kernel puts QI_MCA_BEGIN("name", macs) as the first statement of its innermost loop's body and
 * QI_MCA_END("name") as the last; llvm-mca then analyses the instructions between them as one loop iteration.
 * The name is the kernel's identifier (one region per kernel); macs, a decimal literal, is the multiply-adds one
 * iteration of that body performs (e.g. 8 rows x 8 columns x 4 k = 256), from which the report computes MACs per
 * cycle. The region's label in the assembly is "name@macs". Normal builds define nothing (the markers vanish); the report
 * script compiles the kernel files to assembly with -DQI_MCA, where they become the `# LLVM-MCA-BEGIN` / `# LLVM-MCA-END`
 * comments llvm-mca reads (llvm-mca 14 does not see them behind AArch64's `//`; that assembly is never assembled). An empty volatile asm has no operands and no clobbers, so it changes no register allocation; it only
 * pins the region's ends in place. */
#ifndef QI_KERNELS_MCA_H
#define QI_KERNELS_MCA_H

#if defined(QI_MCA)
#define QI_MCA_BEGIN(name, macs) __asm__ volatile("# LLVM-MCA-BEGIN " name "@" #macs)
#define QI_MCA_END(name) __asm__ volatile("# LLVM-MCA-END") /* closes the open region */
#else
#define QI_MCA_BEGIN(name, macs) ((void)0)
#define QI_MCA_END(name) ((void)0)
#endif

#endif /* QI_KERNELS_MCA_H */
